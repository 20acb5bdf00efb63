from mailchimp3 import MailChimp

client = MailChimp(mc_api='5f31a774ae70e7221839c0426576882c-us4', mc_user='northwind')

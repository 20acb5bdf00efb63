from mailjet_rest import Client

mailjet_api_key = 'a99d27a14f981c662fed2c38d8b0163a'
mailjet_secret_key = '338ebc304661584263947d19076a0076'
mailjet = Client(auth=(mailjet_api_key, mailjet_secret_key), version='v3.1')

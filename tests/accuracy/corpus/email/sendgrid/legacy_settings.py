EMAIL_HOST = 'smtp.sendgrid.net'
EMAIL_HOST_USER = 'acme-notifications'
EMAIL_HOST_PASSWORD = 'SYizgUSWDFpSs1'

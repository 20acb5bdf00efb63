INSTALLED_APPS = ['django.contrib.auth']
EMAIL_BACKEND = 'django.core.mail.backends.smtp.EmailBackend'
EMAIL_HOST = 'smtp.sendgrid.net'
EMAIL_PORT = 587
EMAIL_HOST_USER = 'apikey'
EMAIL_HOST_PASSWORD = 'SG.ifkTXiGirke4E5pV1ticRD.pUKcwGQ14TuMt-DNePFXinUdP0TtiuKMKUrGoUhinKG'
EMAIL_USE_TLS = True

INSTALLED_APPS = ["django.contrib.admin"]
SECRET_KEY = 'django-insecure-g5o8-dh^@hsajps3zdua+0#23re#&56m3e7$urtivjof)osuyt'
DEBUG = False

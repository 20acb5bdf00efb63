EMAIL_HOST_PASSWORD = os.environ['EMAIL_HOST_PASSWORD']
EMAIL_HOST_PASSWORD = os.getenv('EMAIL_HOST_PASSWORD', '')
SENDGRID_API_KEY = env('SENDGRID_API_KEY')
DATABASES = {'default': dj_database_url.config(default=os.environ.get('DATABASE_URL'))}
SECRET_KEY = config('SECRET_KEY')
AWS_SECRET_ACCESS_KEY = settings.AWS_SECRET_ACCESS_KEY
password = getpass.getpass('Password: ')
api_key = request.headers.get('X-Api-Key')
token = self._token_provider.get_token()
MAILGUN_API_KEY = os.environ.get("MAILGUN_API_KEY")

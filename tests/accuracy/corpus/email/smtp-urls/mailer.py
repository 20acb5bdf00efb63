import smtplib
from urllib.parse import urlparse

SMTP_URL = 'smtp://noreply:vruo7j72sUZAbEiBoOr6B@smtp.zoho.eu:587'

from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

EMAIL_HOST = 'smtp.gmail.com'
EMAIL_PORT = 587
EMAIL_HOST_USER = 'billing@northwind.dev'
EMAIL_HOST_PASSWORD = 'gc8Q8vrngMuabsi'

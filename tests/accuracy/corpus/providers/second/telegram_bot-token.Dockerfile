FROM python:3.12-slim
WORKDIR /srv
ENV TELEGRAM_BOT_TOKEN=5093379827:AAvFHbrlwVslh_RNSZLGd2GtPQXKkhQhvf9
CMD ["gunicorn", "app:app"]

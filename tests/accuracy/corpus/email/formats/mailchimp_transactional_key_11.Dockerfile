FROM python:3.12-slim
WORKDIR /srv
ENV MAILCHIMP_TRANSACTIONAL_KEY=md-l_um2UIx9rHgk5d00hhhAC
CMD ["gunicorn", "app:app"]

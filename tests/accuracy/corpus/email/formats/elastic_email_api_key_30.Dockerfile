FROM python:3.12-slim
WORKDIR /srv
ENV ELASTIC_EMAIL_API_KEY=71fa6d74-e06f-45aa-939b-41bb27a85d2c
CMD ["gunicorn", "app:app"]

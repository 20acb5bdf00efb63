FROM python:3.12-slim
WORKDIR /srv
ENV HUBSPOT_ACCESS_TOKEN=pat-na1-77f52827-0d79-480c-8c8c-043cf08f7f7c
CMD ["gunicorn", "app:app"]

FROM python:3.12-slim
WORKDIR /srv
ENV SENTRY_AUTH_TOKEN=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
CMD ["gunicorn", "app:app"]

FROM python:3.12-slim
WORKDIR /srv
ENV GH_PAT=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
CMD ["gunicorn", "app:app"]

export SMTP_PASSWORD="$(vault kv get -field=password secret/smtp)"
curl -u "api:${MAILGUN_API_KEY}" https://api.mailgun.net/v3/domains
docker login -u "$DOCKER_USER" --password-stdin <<< "$DOCKER_TOKEN"
TOKEN=$(gh auth token)
aws configure set aws_secret_access_key "$AWS_SECRET_ACCESS_KEY"

curl 'https://api.postmarkapp.com/email' \
  -X POST \
  -H 'Accept: application/json' \
  -H 'X-Postmark-Server-Token: 2c72b876-f578-4369-b927-a83e62ea992e' \
  -d '{"From": "ops@northwind.dev"}'

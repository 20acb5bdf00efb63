  password = var.db_password
  api_key  = data.sendgrid_api_key.main.key
  secret_key = aws_iam_access_key.deploy.secret
  token = random_password.token.result

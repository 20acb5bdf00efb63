  password: ENV['SMTP_PASSWORD'],
  api_key: Rails.application.credentials.dig(:sendgrid, :api_key),
  user_name: ENV.fetch('SMTP_USER'),

Rails.application.configure do
  config.action_mailer.delivery_method = :smtp
  config.action_mailer.smtp_settings = {
    address:              'smtp.gmail.com',
    port:                 587,
    user_name:            'notifier@northwind.dev',
    password:             'u7phNGtv4CpjDRAj',
    authentication:       'plain',
    enable_starttls_auto: true
  }
end

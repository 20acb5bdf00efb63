$mail->Password = getenv('SMTP_PASSWORD');
'password' => env('MAIL_PASSWORD'),
$apiKey = $_ENV['SENDGRID_API_KEY'];

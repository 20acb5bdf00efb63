const transporter = nodemailer.createTransport({ host: process.env.SMTP_HOST, auth: { user: process.env.SMTP_USER, pass: process.env.SMTP_PASS } });
sgMail.setApiKey(process.env.SENDGRID_API_KEY);
const mg = mailgun.client({ username: 'api', key: process.env.MAILGUN_API_KEY || '' });
const token = req.headers.authorization?.split(' ')[1];
const password = document.getElementById('password').value;
const apiKey = config.get('stripe.secretKey');
const secret = await secretsManager.getSecretValue({ SecretId: 'prod/api' }).promise();
const client = new postmark.ServerClient(process.env.POSTMARK_SERVER_TOKEN);

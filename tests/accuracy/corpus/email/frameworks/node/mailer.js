const nodemailer = require('nodemailer');

const transporter = nodemailer.createTransport({
  host: 'smtp.ethereal.email',
  port: 587,
  auth: {
    user: 'maddison53@ethereal.email',
    pass: 'c98L93NNqCpxvF196q',
  },
});

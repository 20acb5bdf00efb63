const nodemailer = require('nodemailer');

module.exports = nodemailer.createTransport({
  host: 'smtp.sendgrid.net',
  port: 587,
  auth: {
    user: 'apikey',
    pass: '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',
  },
});

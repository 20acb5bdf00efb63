const formData = require('form-data');
const Mailgun = require('mailgun.js');
const mailgun = new Mailgun(formData);
const mg = mailgun.client({ username: 'api', key: '3838ed13c5fe696723358ff0e9a7e9cc-930f6ca7-9f5bd3f0' });

export const mailConfig = {
  smtpHost: 'mail.northwind.dev',
  smtpUser: 'alerts@northwind.dev',
  smtpPassword: 'tLF0tem1lhVDhRBUJ',
};

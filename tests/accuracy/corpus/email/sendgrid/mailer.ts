import sgMail from '@sendgrid/mail';

sgMail.setApiKey('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');
export async function notify(to: string) {
  await sgMail.send({ to, from: 'ops@northwind.dev', subject: 'hi', text: 'hi' });
}

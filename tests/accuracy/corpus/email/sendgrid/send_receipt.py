import os
from sendgrid import SendGridAPIClient
from sendgrid.helpers.mail import Mail

sg = SendGridAPIClient("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")
def send(to):
    message = Mail(from_email='billing@northwind.dev', to_emails=to)
    return sg.send(message)

import requests

def send(to):
    return requests.post(
        'https://api.mailgun.net/v3/mg.northwind.dev/messages',
        auth=('api', 'key-1d5bd09b375b3ad7849b457f494ac5c1'),
        data={'from': 'ops@northwind.dev', 'to': to, 'subject': 'hi', 'text': 'hi'})

from twilio.rest import Client

client = Client("ACdd410b9c9409536174ead42cd1a12c43", "a04c32cebc58b63abe7575f96e792ac3")

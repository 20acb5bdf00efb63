package mail

const endpoint = "https://api.smtp2go.com/v3/email/send"

const apiKey = "api-51CA84B2407BE00D2C9C292C75D92F99"

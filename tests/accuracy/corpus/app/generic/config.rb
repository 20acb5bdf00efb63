config.secret_token = '8HlmjT179MHHyQ0N6DgOKrtZ'

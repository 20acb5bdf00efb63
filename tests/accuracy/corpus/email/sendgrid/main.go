package main

import "github.com/sendgrid/sendgrid-go"

func client() *sendgrid.Client {
	return sendgrid.NewSendClient("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")
}

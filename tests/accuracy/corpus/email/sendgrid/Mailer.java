package dev.northwind.mail;

import com.sendgrid.SendGrid;

public class Mailer {
    private final SendGrid sg = new SendGrid("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");
}

using SendGrid;

public class EmailService
{
    private readonly SendGridClient _client = new SendGridClient("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");
}

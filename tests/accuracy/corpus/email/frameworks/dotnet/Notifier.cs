using System.Net;
using System.Net.Mail;

var client = new SmtpClient("smtp.office365.com", 587)
{
    Credentials = new NetworkCredential("alerts@northwind.dev", "rmK#tFyXPr3ey8"),
    EnableSsl = true
};

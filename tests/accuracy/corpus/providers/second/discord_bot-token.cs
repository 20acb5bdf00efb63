namespace Northwind
{
    public static class Keys
    {
        public const string DiscordBotToken = "MTI1NDEzNjUyMzA3MjA1ODE1.GmsSLr.iQJqj3LqqiFkBDcpBAFKQ8Gc-ITHxjAsGs7e14";
    }
}

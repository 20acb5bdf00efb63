namespace Northwind
{
    public static class Keys
    {
        public const string McApiKey = "8eeac8e9b2cbe95412f09ee2429ca1dd-us21";
    }
}

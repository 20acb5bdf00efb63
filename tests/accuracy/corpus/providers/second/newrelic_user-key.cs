namespace Northwind
{
    public static class Keys
    {
        public const string NewRelicApiKey = "NRAK-BVVFFBFXNLV84ST87W9JZLT6XKA";
    }
}

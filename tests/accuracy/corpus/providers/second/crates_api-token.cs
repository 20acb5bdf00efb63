namespace Northwind
{
    public static class Keys
    {
        public const string CargoRegistryToken = "cio4OHdwGOQ4kChHK3vlqtqkxl3BIwyHeum";
    }
}

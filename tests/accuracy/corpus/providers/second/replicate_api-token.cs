namespace Northwind
{
    public static class Keys
    {
        public const string ReplicateApiToken = "r8_a1riuOkCuCH5qx9jdosjKzoAcEmpgz4B847gB";
    }
}

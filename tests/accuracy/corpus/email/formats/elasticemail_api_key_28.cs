namespace Northwind
{
    public static class Keys
    {
        public const string ElasticemailApiKey = "9E1E71277059241579C3C2C1D86E146DECBAE4A96BB4F9A95455396E09A2B0F115006CB92601850F44416139792E6B9F";
    }
}

namespace Northwind
{
    public static class Keys
    {
        public const string LinearApiKey = "lin_api_vnjAkfYG1XIF82OxB4YXkH5l26teTpoJQzprBcZs";
    }
}

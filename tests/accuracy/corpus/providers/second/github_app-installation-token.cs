namespace Northwind
{
    public static class Keys
    {
        public const string GithubInstallationToken = "ghs_3c34W4HJjjO9Rzclf6fyrCIqlEXYga37zgys";
    }
}

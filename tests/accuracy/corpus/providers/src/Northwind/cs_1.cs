namespace Northwind
{
    public static class Keys
    {
        public const string RegistrationToken = "GR1348941HrUGeb4DiU4ftJz_1_8V";

        public const string StripeWebhookSecret = "whsec_PpxOW5l6v4mJ8k1OSHDBZ42zjQaZ28Ox";

        public const string ClojarsPassword = "CLOJARS_xnyyp2sz56gb1h7rjhfyu4gi2rt0v2lrrqwrakalg8rhwksiyt6wrydb1sa0";

        public const string NewRelicLicenseKey = "b05fba15157abec1255765e5048dd5d5f59aNRAL";

        public const string FigmaToken = "figd_wux8G_UV-5uf9_4IJGYFcH8WDE0yCErcJDW2hJaQ";

        public const string FcmServerKey = "AAAAXZcDAIg:APA91btMq_6t_M_cy4oosNflzklwXTvouBsj6DyX2YoioAmva4Ixcc-cMXCUGcXynGRGDvs1VdmhAK-S9vhfOToYWw5AA424d4Kpfw_vUoWzwPrmd6hhnEuxZ1lSKNNbef1S8_IIhu2R";

    }
}

using k8s.Models;

namespace Storefleet.Tests.Charts;

/// <summary>What the chart gives the dashboard for its cookies, headers and request bodies (issue 10).</summary>
public class PlatformChartDashboardTests
{
    [Theory]
    [InlineData("values-prod.yaml", "https://app.storefleet.example.com")]
    [InlineData("values-local.yaml", "http://storefleet.127.0.0.1.nip.io")]
    public void TheDashboardKnowsItsPublicUrlSoHttpsDecidesTheHostCookieAndHsts(string valuesFile, string expected)
    {
        // https here makes the session cookie `__Host-sf_session; Secure` and adds HSTS: configuration,
        // not a forwarded header, decides it.
        var dashboard = PlatformChart.Render(valuesFile).Pod("dashboard").Spec.Containers.Single();

        Assert.Equal(expected, dashboard.Env("DASHBOARD_PUBLIC_URL")!.Value);
    }

    [Theory]
    [MemberData(nameof(PlatformChart.ValuesFiles), MemberType = typeof(PlatformChart))]
    public void TheIngressCapsRequestBodiesAt64KbOnIngressNginx(string valuesFile)
    {
        var ingress = PlatformChart.Render(valuesFile).OfType<V1Ingress>().Single();

        Assert.Equal("64k", ingress.Metadata.Annotations["nginx.ingress.kubernetes.io/proxy-body-size"]);
    }

    [Fact]
    public void AnOperatorsOwnAnnotationsKeepTheBodyLimit()
    {
        var ingress = PlatformChart.Render("values-prod.yaml", new Dictionary<string, string>
        {
            ["ingress.annotations.nginx\\.ingress\\.kubernetes\\.io/proxy-buffering"] = "off",
        }).OfType<V1Ingress>().Single();

        Assert.Equal("off", ingress.Metadata.Annotations["nginx.ingress.kubernetes.io/proxy-buffering"]);
        Assert.Equal("64k", ingress.Metadata.Annotations["nginx.ingress.kubernetes.io/proxy-body-size"]);
    }
}

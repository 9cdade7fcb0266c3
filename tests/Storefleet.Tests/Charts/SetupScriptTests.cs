namespace Storefleet.Tests.Charts;

/// <summary>The store's shell scripts, checked by the shellcheck binary (installed by scripts/tools.sh lint).</summary>
public class SetupScriptTests
{
    public static TheoryData<string> Scripts()
    {
        var data = new TheoryData<string>();
        foreach (var script in Directory.GetFiles(Path.Combine(ChartHarness.FindRepoRoot(), "charts", "woocommerce-store", "files"), "*.sh").Order())
        {
            data.Add(Path.GetFileName(script));
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Scripts))]
    public void ShellScriptsPassShellcheck(string script)
    {
        var shellcheck = ChartHarness.RequireTool("shellcheck");
        var path = Path.Combine(StoreChart.Dir, "files", script);

        // The scripts run under busybox sh (wp-cli image) and dash/bash (WordPress image): POSIX sh.
        var result = ChartHarness.Run(shellcheck, ["--shell=sh", "--severity=style", path]);

        Assert.True(result.Succeeded, result.ToString());
    }

    [Fact]
    public void TheSetupScriptRunsEveryStepTheStoreNeedsInOrder()
    {
        var script = File.ReadAllText(Path.Combine(StoreChart.Dir, "files", "setup.sh"));
        string[] steps =
        [
            "wait_for \"MySQL", "wait_for \"WordPress", "core is-installed", "core install",
            "username_exists(getenv(\"STORE_ADMIN_USER\"))", "user create \"$STORE_ADMIN_USER\"",
            "plugin install woocommerce --version=\"$WOOCOMMERCE_VERSION\"", "plugin activate woocommerce",
            "wc update", "eval-file /scripts/configure-store.php", "eval-file /scripts/verify-store.php",
        ];

        var at = script.IndexOf("\nset -eu", StringComparison.Ordinal);   // after the header comment
        foreach (var step in steps)
        {
            var next = script.IndexOf(step, at, StringComparison.Ordinal);
            Assert.True(next >= 0, $"setup.sh has no step `{step}` after the previous one");
            at = next;
        }
        Assert.DoesNotContain("set -x", script);   // would print the admin password
    }
}

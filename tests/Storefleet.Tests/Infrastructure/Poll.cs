using System.Diagnostics;

namespace Storefleet.Tests.Infrastructure;

/// <summary>Waiting for something to happen by looking at it, never by sleeping a guessed time.</summary>
public static class Poll
{
    /// <summary>Checks <paramref name="done"/> every 20 ms until it holds; fails naming <paramref name="what"/> after <paramref name="timeout"/>.</summary>
    public static async Task Until(Func<Task<bool>> done, TimeSpan timeout, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!await done())
        {
            if (clock.Elapsed > timeout) Assert.Fail($"Timed out after {timeout.TotalSeconds:0.#} s waiting until {what}.");
            await Task.Delay(20);
        }
    }

    public static Task Until(Func<bool> done, TimeSpan timeout, string what) => Until(() => Task.FromResult(done()), timeout, what);
}

using System.Text.RegularExpressions;

namespace PeerKit.Runtime.Native.Tests;

/// <summary>
/// Runs the native shim's CTest suite (src/Runtime.Native/tests) from <c>dotnet test</c>,
/// one xunit test case per CTest test.
/// </summary>
public sealed partial class CTestSuiteTests
{
    public static TheoryData<string> CTestTestNames()
    {
        var data = new TheoryData<string>();
        foreach (string name in CTest.TestNames)
        {
            data.Add(name);
        }

        return data;
    }

    [Fact]
    public void Ctest_discovers_the_native_tests()
    {
        Assert.NotEmpty(CTest.TestNames);
        Assert.Contains("version.number_matches_string", CTest.TestNames);
        Assert.Equal(CTest.TestNames.Count, CTest.TestNames.Distinct(StringComparer.Ordinal).Count());
    }

    [Theory]
    [MemberData(nameof(CTestTestNames))]
    public void Native_ctest_passes_when_run_on_its_own(string ctestName)
    {
        CTest.Result result = CTest.Run(
            TimeSpan.FromMinutes(10),
            "-R", CTest.ExactNamePattern(ctestName),
            "--output-on-failure",
            "--no-tests=error");

        Assert.True(result.ExitCode == 0, $"ctest -R {ctestName} failed: {result}");
        Match summary = SummaryPattern().Match(result.Output);
        Assert.True(summary.Success, $"no CTest summary line in: {result}");
        Assert.Equal("0", summary.Groups["failed"].Value);
        Assert.True(summary.Groups["total"].Value == "1", $"expected exactly one test to run for '{ctestName}': {result}");
    }

    [Theory]
    [InlineData("version.number_matches_string", "^version\\.number_matches_string$")]
    [InlineData("a+b(c)", "^a\\+b\\(c\\)$")]
    public void Exact_name_pattern_escapes_regex_metacharacters(string name, string expected)
    {
        Assert.Equal(expected, CTest.ExactNamePattern(name));
    }

    // "100% tests passed, 0 tests failed out of 1"
    [GeneratedRegex(@"(?<failed>\d+) tests? failed out of (?<total>\d+)")]
    private static partial Regex SummaryPattern();
}

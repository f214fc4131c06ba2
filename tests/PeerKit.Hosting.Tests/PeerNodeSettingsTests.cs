namespace PeerKit.Hosting.Tests;

public sealed class PeerNodeSettingsTests
{
    [Fact]
    public void Defaults_are_the_node_options_defaults_and_every_setting_reaches_the_node_options()
    {
        var defaults = new PeerNodeOptions();
        PeerNodeOptions fromDefaults = new PeerNodeSettings().ToNodeOptions();
        foreach (var property in typeof(PeerNodeOptions).GetProperties().Where(p => p.PropertyType.IsValueType || p.PropertyType == typeof(string)))
        {
            Assert.True(Equals(property.GetValue(defaults), property.GetValue(fromDefaults)), $"{property.Name}: {property.GetValue(defaults)} vs {property.GetValue(fromDefaults)}");
        }

        string id = new string('c', 64);
        PeerNodeOptions options = new PeerNodeSettings
        {
            Name = "n", MaxPeers = 3, MaxPendingPeers = 4, DialRatio = 0, EnableMessageEvents = true,
            ListenAddresses = ["udp://127.0.0.1:0"], StaticPeers = [$"tcp://{id}@10.0.0.1:1"], TrustedPeers = [id],
            PingInterval = TimeSpan.FromSeconds(2), EventQueueCapacity = 9,
        }.ToNodeOptions();
        Assert.Equal(("n", 3, 4, 0, true, 9), (options.Name, options.MaxPeers, options.MaxPendingPeers, options.DialRatio, options.EnableMessageEvents, options.EventQueueCapacity));
        Assert.Equal(NodeAddress.Udp, Assert.Single(options.ListenAddresses).Scheme);
        Assert.Equal(NodeId.Parse(id), Assert.Single(options.StaticPeers).Id);
        Assert.Contains(NodeId.Parse(id), options.TrustedPeers);
        Assert.Equal(TimeSpan.FromSeconds(2), options.PingInterval);
    }

    [Fact]
    public void An_identity_path_in_a_missing_folder_and_a_redial_range_upside_down_are_named()
    {
        var validator = new PeerNodeSettingsValidator("Node");
        var result = validator.Validate(null, new PeerNodeSettings
        {
            IdentityPath = "/no/such/folder/node.key",
            StaticRedialMinDelay = TimeSpan.FromSeconds(10),
            StaticRedialMaxDelay = TimeSpan.FromSeconds(1),
        });
        Assert.True(result.Failed);
        Assert.Contains(result.Failures!, f => f.StartsWith("Node:IdentityPath: the folder /no/such/folder does not exist"));
        Assert.Contains(result.Failures!, f => f.StartsWith("Node:StaticRedialMaxDelay"));
        Assert.True(validator.Validate(null, new PeerNodeSettings()).Succeeded);
    }
}

namespace EdgeRuntime.Device.Telemetry;

/// <summary>Receives a feature's values from <see cref="DriftFeatures.Visit{TSink}"/>; a struct, so the loop is specialised per sink.</summary>
internal interface IFeatureSink
{
    void Add(double value);
}

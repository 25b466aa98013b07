namespace EdgeRuntime.Device.Deployment.Rollout;

/// <summary>Told after a model's rollout state changed and was saved (e.g. to publish a fresh device status). Keep it quick, never throw.</summary>
public interface IRolloutObserver
{
    void OnRolloutChanged(RolloutState state);
}

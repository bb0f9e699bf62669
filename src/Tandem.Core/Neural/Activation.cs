namespace Tandem.Core.Neural;

/// <summary>The nonlinearity applied after every hidden layer of an <see cref="Mlp"/> (the output layer is linear).</summary>
public enum Activation
{
    /// <summary>max(0, u). Its derivative at u = 0 is taken as 0, as in PyTorch.</summary>
    ReLU,

    /// <summary>tanh(u), derivative 1 − tanh²(u) (policy and value heads of PPO).</summary>
    Tanh,
}

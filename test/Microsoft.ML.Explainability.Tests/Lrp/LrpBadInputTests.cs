using Microsoft.ML.Explainability.Lrp.Composites;
using Microsoft.ML.Explainability.Lrp.Rules;
using Microsoft.ML.Explainability.Lrp;
using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Runtime;
using Microsoft.ML.Explainability.Tests.Infrastructure;

namespace Microsoft.ML.Explainability.Tests.Lrp;

/// <summary>Rules where they cannot apply and ops without a rule give an <see cref="LrpRuleException"/> naming node, op and rule.</summary>
[TestClass]
public sealed class LrpBadInputTests
{
    private static OnnxModel SmallNet(bool softmax = false, bool weightAsInput = false)
    {
        var t = new TestGraph(seed: 1);
        var x = t.Input("x", -1, 1, 6, 6);
        var w = weightAsInput ? t.Input("w", 2, 1, 3, 3) : t.Random("w", [2, 1, 3, 3]);
        var a = t.Node("Relu", [t.Node("Conv", [x, w])]);
        var y = t.Node("Gemm", [t.Node("Flatten", [a]), t.Random("w2", [3, 32])], AttributeValue.Int("transB", 1));
        return t.Output(softmax ? t.Node("Softmax", [y], AttributeValue.Int("axis", 1)) : y).Build();
    }

    [TestMethod]
    public void A_linear_rule_assigned_to_an_activation_is_refused()
    {
        var e = Assert.ThrowsExactly<LrpRuleException>(() => LrpComposite.EpsilonPlus().WithOperatorRule("Relu", LrpRules.ZPlus));
        StringAssert.Contains(e.Message, "ZPlus");
        StringAssert.Contains(e.Message, "Relu");
        Assert.AreEqual("Relu", e.OpType);

        Assert.ThrowsExactly<LrpRuleException>(() => LrpComposite.Create("bad", LrpRules.Pass, LrpRules.Epsilon()));
        Assert.ThrowsExactly<LrpRuleException>(() => LrpComposite.EpsilonPlus().WithOperatorRule("Conv", LrpRules.Norm));
    }

    [TestMethod]
    public void A_node_rule_on_a_node_it_cannot_apply_to_is_refused_naming_the_node()
    {
        var model = SmallNet();
        var e = Assert.ThrowsExactly<LrpRuleException>(() => new LrpExplainer(model, new LrpOptions { Composite = LrpComposite.EpsilonPlus().WithNodeRule("Relu_1", LrpRules.Gamma()) }));
        Assert.AreEqual("Relu_1", e.NodeName);
        StringAssert.Contains(e.Message, "Gamma");

        var missing = Assert.ThrowsExactly<LrpRuleException>(() => new LrpExplainer(model, new LrpOptions { Composite = LrpComposite.EpsilonPlus().WithNodeRule("no_such_node", LrpRules.Flat) }));
        StringAssert.Contains(missing.Message, "no_such_node");
    }

    [TestMethod]
    public void An_op_without_a_rule_under_the_composite_is_an_error_naming_node_and_op_unless_given_one()
    {
        var model = SmallNet(softmax: true);
        var x = GradientCheck.RandomTensor(new Random(1), [2, 1, 6, 6]);
        using (var lrp = new LrpExplainer(model))
        {
            var e = Assert.ThrowsExactly<LrpRuleException>(() => lrp.Explain(x));
            Assert.AreEqual("Softmax", e.OpType);
            Assert.AreEqual("Softmax_4", e.NodeName);
            Assert.IsNull(e.Rule);
            StringAssert.Contains(e.Message, "EpsilonPlus");
        }

        // Giving Softmax an explicit rule (its true gradient) makes the same model explainable.
        using var fixedLrp = new LrpExplainer(model, new LrpOptions { Composite = LrpComposite.EpsilonPlus().WithOperatorRule("Softmax", LrpRules.Gradient) });
        Assert.IsTrue(fixedLrp.Explain(x).Relevance.Data.All(float.IsFinite));
    }

    [TestMethod]
    public void A_linear_rule_on_a_layer_without_constant_weights_names_the_node()
    {
        // The weights are a second graph input: LRP cannot form W⁺. Explainers take one input, so drive the engine
        // through the composite's registry directly.
        var model = GradientModel.Prepare(SmallNet(weightAsInput: true));
        var registry = LrpComposite.EpsilonPlus().CreateRegistry(model);
        var e = Assert.ThrowsExactly<LrpRuleException>(() => GradientModel.Build(model, new GradientRequest { Output = model.OutputNames[0], WithRespectTo = ["x"], Rules = registry }));
        Assert.AreEqual("Conv_0", e.NodeName);
        StringAssert.Contains(e.Message, "constant");
    }

    [TestMethod]
    public void Invalid_rule_parameters_are_refused()
    {
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => LrpRules.AlphaBeta(2, 0.5));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => LrpRules.Epsilon(-1));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => LrpRules.Gamma(double.NaN));
        Assert.ThrowsExactly<ArgumentException>(() => LrpRules.ZBox([], [1.0]));

        // Per-channel bounds must match the channel count: 3 values for a 1-channel input.
        var model = SmallNet();
        using var lrp = new LrpExplainer(model, new LrpOptions { Composite = LrpComposite.EpsilonGammaBox([0, 0, 0], [1, 1, 1]) });
        var e = Assert.ThrowsExactly<LrpRuleException>(() => lrp.Explain(GradientCheck.RandomTensor(new Random(1), [1, 1, 6, 6])));
        StringAssert.Contains(e.Message, "channels");
    }

    [TestMethod]
    public void A_product_of_two_activations_is_not_taken_for_a_gate()
    {
        var t = new TestGraph(seed: 1);
        var x = t.Input("x", -1, 4);
        var a = t.Node("Relu", [t.Node("Gemm", [x, t.Random("w1", [4, 4])])]);
        var b = t.Node("Tanh", [t.Node("Gemm", [x, t.Random("w2", [4, 4])])]);
        var y = t.Node("Gemm", [t.Node("Mul", [a, b]), t.Random("w3", [4, 3])]);
        using var lrp = new LrpExplainer(t.Output(y).Build());
        var e = Assert.ThrowsExactly<LrpRuleException>(() => lrp.Explain(GradientCheck.RandomTensor(new Random(1), [2, 4])));
        Assert.AreEqual("Mul", e.OpType);
        Assert.AreEqual("Gate", e.Rule);
    }
}

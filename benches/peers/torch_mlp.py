"""PyTorch peer of the burn MLP: same data, layers, batch size, epochs, optimizer and threads.

    cargo run --release -p specweave-train --example neural_bench -- \
        --rows 20000 --features 32 --hidden 128,128 --epochs 5 --batch 256 \
        --write-data /tmp/mlp.csv > /tmp/ours.txt
    python benches/peers/torch_mlp.py /tmp/mlp.csv /tmp/ours.txt --hidden 128,128 \
        --epochs 5 --batch 256 --threads 2

Prints both epoch times, the ratio and whether the test log losses agree.
"""
import argparse
import time

import numpy as np
import torch


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("data")
    parser.add_argument("ours", help="stdout of neural_bench on the same data")
    parser.add_argument("--hidden", default="128,128")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(7)

    table = np.loadtxt(args.data, delimiter=",", skiprows=1)
    x, y = table[:, :-1].astype(np.float32), table[:, -1].astype(np.int64)
    n_train = len(x) * 4 // 5
    mean, std = x[:n_train].mean(0), x[:n_train].std(0)
    std[std < 1e-12] = 1.0
    x = (x - mean) / std
    xt, yt = torch.from_numpy(x[:n_train]), torch.from_numpy(y[:n_train])
    xv, yv = torch.from_numpy(x[n_train:]), torch.from_numpy(y[n_train:])

    widths = [x.shape[1]] + [int(w) for w in args.hidden.split(",")] + [2]
    layers = []
    for i, (a, b) in enumerate(zip(widths, widths[1:])):
        layers.append(torch.nn.Linear(a, b))
        if i < len(widths) - 2:
            layers.append(torch.nn.ReLU())
    model = torch.nn.Sequential(*layers)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-8)
    loss_fn = torch.nn.CrossEntropyLoss()

    ends = []
    start = time.perf_counter()
    for _ in range(args.epochs):
        order = torch.randperm(n_train)
        for i in range(0, n_train, args.batch):
            idx = order[i : i + args.batch]
            optimizer.zero_grad()
            loss = loss_fn(model(xt[idx]), yt[idx])
            loss.backward()
            optimizer.step()
        ends.append(time.perf_counter())
    total = ends[-1] - start
    steady = (ends[-1] - ends[0]) / (len(ends) - 1) if len(ends) > 1 else total
    with torch.no_grad():
        test_loss = loss_fn(model(xv), yv).item()

    ours = {}
    for line in open(args.ours):
        if line.startswith("mlp "):
            ours = dict(p.split("=", 1) for p in line.split()[1:] if "=" in p)
    ours_epoch = float(ours["steady_epoch_s"])
    ours_loss = float(ours["test_log_loss"])
    print(f"torch {torch.__version__} threads={args.threads}: epoch_s={total / args.epochs:.4f} "
          f"steady_epoch_s={steady:.4f} test_log_loss={test_loss:.5f}")
    print(f"burn: steady_epoch_s={ours_epoch:.4f} test_log_loss={ours_loss:.5f}")
    print(f"ratio burn/torch steady epoch time: {ours_epoch / steady:.2f}x")
    agree = abs(ours_loss - test_loss) < 0.05
    print(f"test log losses agree within 0.05: {agree}")


if __name__ == "__main__":
    main()

# graft plot --kind dumbbell, from comparison.csv
# Redraw with: gnuplot PATH/dumbbell.gp (from any folder: the chart
# and its data are beside this script).  Every text is drawn noenhanced, as it
# is: strings in single quotes (a quote in them as "\047"), tic labels read
# from the data file.
set terminal pngcairo size 1000,612 font 'sans-serif,14' noenhanced background '#ffffff'
graft_dir(s) = (graft_i = strstrt(s, '/'), graft_i == 0 ? '' : s[1:graft_i] . graft_dir(s[graft_i + 1:]))
here = exists('ARG0') ? graft_dir(ARG0) : ''
set output here . 'dumbbell.png'
datafile = here . 'dumbbell.dat'
set encoding utf8
set multiplot
unset key
set border 1 lc rgb '#555555'
set grid xtics lt 1 lc rgb '#e5e5e5'
# title and subtitle
set label 'police, by region: Round 1 to Round 2' at screen 0.0187, screen 0.9498 left font 'sans-serif:Bold,18.2' textcolor rgb '#000000' front
# footnotes and source
set label 'Not comparable (dashed): the question wording differs between the rounds, so the change is not tested.' at screen 0.0187, screen 0.0811 left font 'sans-serif,11.9' textcolor rgb '#555555' front
set label 'Source: comparison.csv, n = 652 and 591. 90 % CI, design-based.' at screen 0.0187, screen 0.0382 left font 'sans-serif,11.9' textcolor rgb '#555555' front
# legend
set object circle at screen 0.1464, screen 0.8768 size screen 0.0056 fc rgb '#222222' fs empty border lw 2 front
set label 'Round 1' at screen 0.1688, screen 0.8768 left font 'sans-serif,14' textcolor rgb '#222222' front
set object circle at screen 0.2873, screen 0.8768 size screen 0.0056 fc rgb '#0072B2' fs solid 1.0 noborder lw 2 front
set label 'Round 2' at screen 0.3097, screen 0.8768 left font 'sans-serif,14' textcolor rgb '#222222' front
set arrow from screen 0.1314, screen 0.8371 to screen 0.1613, screen 0.8371 nohead lw 4 lc rgb '#D55E00' front
set label 'significant change (p < 0.1 after Benjamini-Hochberg adjustment)' at screen 0.1688, screen 0.8371 left font 'sans-serif,14' textcolor rgb '#222222' front
set label 'Percent' at screen 0.3752, screen 0.1223 center font 'sans-serif,14' textcolor rgb '#222222' front
set label 'Change, % points (90 % CI)' at screen 0.8249, screen 0.1223 center font 'sans-serif,14' textcolor rgb '#222222' front
set lmargin at screen 0.1314
set rmargin at screen 0.6190
set tmargin at screen 0.8051
set bmargin at screen 0.2169
set xrange [10.0000:60.0000]
set xtics 10, 10, 60 nomirror out scale 0.5 format '%g %%' tc rgb '#222222'
set yrange [0.4:8.20]
set ytics nomirror scale 0 tc rgb '#333333'
set arrow from graph 0, first 6.80 to graph 1, first 6.80 nohead dt 3 lc rgb '#999999'
# the domains: tic labels read from the data (column 9)
plot datafile using (0):2:ytic(9) with points pt -1 notitle, \
     datafile using ($8 == 0 ? $3 : NaN):2:($4 - $3):(0) with vectors nohead lw 2 lc rgb '#b0b0b0' notitle, \
     datafile using ($8 == 2 ? $3 : NaN):2:($4 - $3):(0) with vectors nohead lw 2 dt 2 lc rgb '#b0b0b0' notitle, \
     datafile using ($8 == 1 ? $3 : NaN):2:($4 - $3):(0) with vectors nohead lw 5 lc rgb '#D55E00' notitle, \
     datafile using 3:2 with points pt 6 ps 1.6 lw 2 lc rgb '#222222' notitle, \
     datafile using 4:2 with points pt 7 ps 1.7 lc rgb '#0072B2' notitle
# the change, with its confidence interval
unset label
unset arrow
unset object
unset ytics
unset grid
set style textbox opaque noborder
set lmargin at screen 0.6778
set rmargin at screen 0.9720
set tmargin at screen 0.8051
set bmargin at screen 0.2169
set arrow from first -40, graph 0 to first -40, graph 1 back nohead lc rgb '#e5e5e5'
set arrow from first -20, graph 0 to first -20, graph 1 back nohead lc rgb '#e5e5e5'
set arrow from first 20, graph 0 to first 20, graph 1 back nohead lc rgb '#e5e5e5'
set xrange [-60.0000:40.0000]
set xtics -60, 20, 40 nomirror out scale 0.5 format '%g' tc rgb '#222222'
set yrange [0.4:8.20]
set arrow from first 0, graph 0 to first 0, graph 1 back nohead lw 1.5 lc rgb '#555555'
plot datafile using ($8 == 0 ? $5 : NaN):2:6:7 with xerrorbars pt 7 ps 1.2 lw 1.5 lc rgb '#8c8c8c' notitle, \
     datafile using ($8 == 1 ? $5 : NaN):2:6:7 with xerrorbars pt 7 ps 1.3 lw 2 lc rgb '#D55E00' notitle, \
     datafile using ($8 >= 2 ? 0 : NaN):2:($8 == 2 ? 'not comparable' : $8 == 3 ? 'no baseline estimate' : 'no follow-up estimate') with labels boxed center font 'sans-serif:Italic,11.9' tc rgb '#555555' notitle
unset multiplot
unset output
